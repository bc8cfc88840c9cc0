"""Vector tiles and their TileJSON: /tiles/{level}/{z}/{x}/{y}.mvt and /tiles/{level}.json, and the same
tiles as OGC API Tiles, in Web Mercator or RD New: /ogc/collections/{level_year}/tiles/{tms}/{z}/{row}/{col}.

A cache hit is answered on the event loop without leaving it: parsing the request (remembered per
query), one cache lookup and the response; the same request asked again, before routing (web.cached).
A tile that has to be made goes to a tile worker process (settings.tile_workers, tiles.workers), which
gzips it too; without workers, or should one fail, to one of the few tile threads
(settings.tile_threads), which also gzip what is asked later. A /tiles/ GET is made and answered
before routing as well (`tile_of_request`): the route answers what that leaves (an analysis, a bad
request, which it maps to its error, a HEAD).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from analysis.request import AnalysisRequest, parse_analysis_request
from geodata.errors import RequestError, TileOutOfRange
from geodata.selection import Selection, parse_selection
from ogc.collections import parse_collection_id
from ogc.tilesets import pyramid_of, tile_selection
from settings import Settings
from styles.hotspot_style import hotspot_tilejson
from tiles.cache import CachedTile
from tiles.encode import gzip_bytes
from tiles.tilejson import tilejson
from tiles.tilemath import WEB_MERCATOR, Pyramid
from tiles.workers import Submit
from web.analysis import analysed
from web.cached import remember_request, tile_answer
from web.holder import DatasetHolder, Served
from web.http import accepts_gzip, parse_etags, public_base_url

log = logging.getLogger("wijkmonitor")
CARRIED_TILES = 256  # the tiles asked last that a rebuild's tile workers make before it is swapped in
_TILE_PATH = re.compile(r"/tiles/([^/]+)/([^/]+)/([^/]+)/([^/]+)\.(?:mvt|pbf)")


def parse_tile(
    z: str, x: str, y: str, max_zoom: int, pyramid: Pyramid = WEB_MERCATOR, names: tuple[str, str, str] = ("z", "x", "y")
) -> tuple[int, int, int]:
    """z/x/y from the URL path, each checked by the name the path gives it: not a whole number or out
    of range is a TileOutOfRange."""
    numbers = []
    for name, raw in zip(names, (z, x, y)):
        # Short strings only: no tile number has more than 10 digits, and int() refuses 4,300.
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
            raise TileOutOfRange(name, f"{name} must be a whole number of 0 or more, not {raw[:20]!r}")
        numbers.append(int(raw))
    pyramid.check_tile(*numbers, max_zoom, names)
    return numbers[0], numbers[1], numbers[2]


def tile_analysis(served: Served, selection: Selection, params: Any) -> AnalysisRequest | None:
    """?analysis=gi_star|local_moran on a tile request: the analysis of its one indicator and group."""
    if not params.get("analysis"):
        return None
    if len(selection.indicators) != 1 or len(selection.groups) != 1:
        raise RequestError("analysis", "an analysis needs exactly one indicator and one group in the tile request")
    merged = {**params, "level": selection.level.value, "year": str(selection.year), "group": selection.group}
    return parse_analysis_request(served.store, merged, selection.indicator)


def tile_key(selection: Selection, pyramid: Pyramid, z: int, x: int, y: int, analysis: AnalysisRequest | None = None) -> str:
    """One compact string per cache entry: the cache counts what it holds, and equal requests share a
    key; a Web Mercator tile has one entry whether /tiles or /ogc asked for it (the same bytes)."""
    prefix = "" if pyramid is WEB_MERCATOR else f"{pyramid.id}:"
    return f"{prefix}{selection.level.value}/{z}/{x}/{y}?{selection.query_string()}{analysis.query_string() if analysis else ''}"


def plain_tile(served: Served, path: str, query: bytes, max_zoom: int) -> tuple[Selection, int, int, int, str] | None:
    """Selection, z, x, y and cache key of a /tiles/ request line (raw path and query) as the route reads it;
    None when it is not a tile path, asks for an analysis (its tiles come with its results), or is a request
    the route would answer with an error."""
    match = _TILE_PATH.fullmatch(path)
    if match is None:
        return None
    params = dict(parse_qsl(query.decode("latin-1"), keep_blank_values=True))  # as Starlette reads a query
    if params.get("analysis"):
        return None
    level, *zxy = match.groups()
    try:
        z, x, y = parse_tile(*zxy, max_zoom)
        selection = served.tile_selection(level, params)
    except Exception:  # noqa: BLE001 - the route reads it again, and its error handling answers it
        return None
    return selection, z, x, y, tile_key(selection, WEB_MERCATOR, z, x, y)


async def made_once(served: Served, key: str, make: Callable[[], Awaitable[CachedTile]]) -> CachedTile:
    """The tile being made for an earlier request, else made now: after a reload every open map asks
    for the same tiles at once, and each would otherwise be made once per request. The first request
    makes it itself rather than in a task of its own that every request waits for: two turns of the
    event loop less per cold tile (0.02-0.1 ms of a national z10-z14 tile, alternated tile by tile)."""
    making = served.making.get(key)
    if making is not None:
        try:
            return await asyncio.shield(making)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not making.cancelled() or (current is not None and current.cancelling()):
                raise  # this request is cancelled itself
            return await made_once(served, key, make)  # the one making it went away: this one makes it
    making = served.making[key] = asyncio.get_running_loop().create_future()
    try:
        made = await make()
    except asyncio.CancelledError:
        making.cancel()
        raise
    except BaseException as exc:
        making.set_exception(exc)
        making.exception()  # retrieved: no request may be waiting for it
        raise
    else:
        making.set_result(made)
        return made
    finally:
        served.making.pop(key, None)  # made, or failed: the next request tries again


def answered_here(made: Future[Any]) -> asyncio.Future[Any]:
    """`made` (a tile worker's answer) awaitable in the running event loop. When the loop itself reads the
    answer (tiles.workers._TileChannel) it is handed over at once; asyncio.wrap_future would wake the loop
    from outside (call_soon_threadsafe) and take one more turn. From another thread it wakes the loop."""
    loop = asyncio.get_running_loop()
    waiter = loop.create_future()

    def hand_over(done: Future[Any]) -> None:
        try:
            here = asyncio.get_running_loop() is loop
        except RuntimeError:  # no loop runs in this thread
            here = False
        if here:
            _copy_state(done, waiter)
        elif not loop.is_closed():  # closed: the server has stopped, and nobody waits
            loop.call_soon_threadsafe(_copy_state, done, waiter)

    made.add_done_callback(hand_over)
    return waiter


def _copy_state(done: Future[Any], waiter: asyncio.Future[Any]) -> None:
    if waiter.cancelled():
        return
    if done.cancelled():
        waiter.cancel()
    elif (error := done.exception()) is not None:
        waiter.set_exception(error)
    else:
        waiter.set_result(done.result())


def routes(holder: DatasetHolder, settings: Settings) -> list[BaseRoute]:
    def tile_json(request: Request) -> Response:
        served = holder.current()
        store = served.store
        selection = parse_selection(store.availability, store.catalog, request.path_params["level"], request.query_params)
        analysis = tile_analysis(served, selection, request.query_params)
        base_url = public_base_url(request, settings.public_url)
        if analysis is None:
            return JSONResponse(tilejson(store, selection, base_url, settings.max_zoom))
        return JSONResponse(hotspot_tilejson(store, analysis, base_url, settings.max_zoom))

    def remember(served: Served, key: str, body: bytes, gzip_body: bytes | None = None) -> CachedTile:
        made = CachedTile(body, hashlib.sha1(body).hexdigest()[:24], gzip_body if body else None)
        served.cache.put(key, made)
        return made

    def make_tile(
        served: Served, selection: Selection, pyramid: Pyramid, z: int, x: int, y: int, key: str, extra: Any
    ) -> CachedTile:
        return remember(served, key, served.tiles.tile(selection, z, x, y, extra, pyramid))

    async def new_tile(
        served: Served, selection: Selection, pyramid: Pyramid, z: int, x: int, y: int, key: str, extra: Any
    ) -> CachedTile:
        """A tile not in the cache: from a tile worker, or a tile thread when there are none or one failed
        (died, or the dataset changed under it), so that no request fails for it."""
        workers = holder.tile_workers
        if workers:
            store = served.store
            try:
                made = workers.submit(holder.settings.dataset, store.version, selection, pyramid.id, z, x, y, extra)
                return remember(served, key, *await answered_here(made))
            except Exception as exc:  # noqa: BLE001 - the thread below makes the same bytes
                log.warning("tile worker failed on %s, made by a thread instead: %s", key[:80], exc)
                workers.replace_broken()
        return await asyncio.wrap_future(holder.render.submit(make_tile, served, selection, pyramid, z, x, y, key, extra))

    async def tile(request: Request) -> Response:
        served = holder.current()
        p = request.path_params
        z, x, y = parse_tile(p["z"], p["x"], p["y"], settings.max_zoom)
        selection = served.tile_selection(p["level"], request.query_params)
        analysis = tile_analysis(served, selection, request.query_params)
        return await cached_tile(request, served, selection, WEB_MERCATOR, z, x, y, analysis)

    async def tile_of_request(served: Served, path: str, query: bytes) -> CachedTile | None:
        """The tile of a /tiles/ request, made (or waited for) when not cached, and the request remembered
        (web.cached): a cold tile without Starlette's routing, Request, Response and middleware, 0.13-0.27 ms
        less for a national z12-z14 tile (1.5-4 ms over HTTP, side by side). None, for the route to answer:
        not a tile path, an analysis, a bad request (the route maps its error), a tile that failed."""
        request = plain_tile(served, path, query, settings.max_zoom)
        if request is None:
            return None
        selection, z, x, y, key = request
        try:
            cached = await cached_or_made(served, selection, WEB_MERCATOR, z, x, y, key)
        except Exception:  # noqa: BLE001 - the route makes it again, and answers its error
            return None
        remember_request(served, path, query, key)
        return cached

    async def ogc_tile(request: Request) -> Response:
        served = holder.current()
        p = request.path_params
        store = served.store
        cid = parse_collection_id(store, p["collectionId"])
        pyramid = pyramid_of(p["tileMatrixSetId"])
        z, y, x = parse_tile(
            p["tileMatrix"], p["tileRow"], p["tileCol"], pyramid.max_zoom(settings.max_zoom), pyramid,
            ("tileMatrix", "tileRow", "tileCol"),
        )
        selection = tile_selection(store, cid, request.query_params)
        return await cached_tile(request, served, selection, pyramid, z, x, y)

    async def cached_tile(
        request: Request, served: Served, selection: Selection, pyramid: Pyramid, z: int, x: int, y: int,
        analysis: AnalysisRequest | None = None,
    ) -> Response:
        key = tile_key(selection, pyramid, z, x, y, analysis)
        return await tile_response(request, served, key, await cached_or_made(served, selection, pyramid, z, x, y, key, analysis))

    async def cached_or_made(
        served: Served, selection: Selection, pyramid: Pyramid, z: int, x: int, y: int, key: str,
        analysis: AnalysisRequest | None = None,
    ) -> CachedTile:
        """The tile from the cache, else made once for every request that asks for it meanwhile."""
        cached = served.cache.get(key)
        if cached is None:
            async def make() -> CachedTile:
                extra = (await analysed(served, analysis)).tile_attributes if analysis else None
                return await new_tile(served, selection, pyramid, z, x, y, key, extra)

            cached = await made_once(served, key, make)
        return cached

    async def tile_response(request: Request, served: Served, key: str, cached: CachedTile) -> Response:
        wants_gzip = accepts_gzip(request.headers.get("accept-encoding", ""))
        if wants_gzip and cached.body and cached.gzip_body is None:
            zipped = await asyncio.wrap_future(holder.render.submit(gzip_bytes, cached.body))
            cached = CachedTile(cached.body, cached.etag, zipped)
            served.cache.put(key, cached)
        remember_request(served, request.scope["path"], request.scope["query_string"], key)
        etags = parse_etags(request.headers.get("if-none-match", ""))
        status, headers, body = tile_answer(cached, wants_gzip, etags, settings.cache_max_age)
        return Response(body, status_code=status, headers=headers)

    def carry_over(served: Served, new: Served, submit: Submit) -> None:
        """The tiles asked last of the served version (CARRIED_TILES), made of a rebuild by its tile
        workers before it is swapped in, and their requests remembered: the maps open on the server
        ask for them again at once, and each would wait for its tile behind the others, seconds on a
        loaded machine. A request the new data cannot answer is left: asked again, it gets its error."""
        recent = set(served.cache.recent(CARRIED_TILES))
        requests: list[tuple[tuple[str, bytes], str]] = []
        making: dict[str, Future[tuple[bytes, bytes]]] = {}
        for (path, query), old_key in list(served.request_keys.items()):
            request = plain_tile(new, path, query, settings.max_zoom) if old_key in recent else None
            if request is None:
                continue
            selection, z, x, y, key = request
            if key not in making:
                making[key] = submit(settings.dataset, new.store.version, selection, WEB_MERCATOR.id, z, x, y)
            requests.append(((path, query), key))
        made = set()
        for key, tile in making.items():
            try:
                remember(new, key, *tile.result())
                made.add(key)
            except Exception as exc:  # noqa: BLE001 - made on demand after the swap instead
                log.warning("tile %s not made before the swap: %s", key[:80], exc)
        new.request_keys.update((request, key) for request, key in requests if key in made)
        log.info("made %d tiles of the new version before the swap, for %d remembered requests", len(made), len(requests))

    holder.carry_over = carry_over
    holder.tile_of_request = tile_of_request
    return [
        Route("/tiles/{level}.json", tile_json),
        Route("/tiles/{level}/{z}/{x}/{y}.mvt", tile),
        Route("/tiles/{level}/{z}/{x}/{y}.pbf", tile),
        Route("/ogc/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}", ogc_tile),
    ]
