"""Starlette routes: parse the request, call the domain, shape the response.

Errors are mapped to HTTP in one place (`_error_response`): our RequestError types to
their 4xx status with a JSON body; anything unexpected to a 500 JSON body without a trace.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from analysis.hotspots import HotspotResult, tile_attributes
from analysis.request import AnalysisRequest, parse_analysis_request
from analysis.results import HotspotResults
from analysis.workers import AnalysisWorkers
from geodata.dataset import Dataset, load_dataset
from geodata.errors import AnalysisBusy, RequestError, WijkmonitorError
from geodata.profile import region_profile, search_regions
from settings import ROOT, Settings
from styles.glyphs import FontLibrary, parse_range
from styles.hotspot_style import hotspot_legend, hotspot_style, hotspot_tilejson
from styles.legend import legend
from styles.request import ThematicRequest, parse_thematic_request
from styles.style_json import style_json
from styles.thematic import ThematicMap, thematic_map
from tiles.cache import CachedTile, TileCache
from tiles.query import TileQuery, parse_tile_query
from tiles.region_tiles import RegionTiles
from tiles.tilejson import tilejson
from tiles.tilemath import check_tile

log = logging.getLogger("wijkmonitor")
VIEWER_DIR = ROOT / "viewer"
MVT_TYPE = "application/vnd.mapbox-vector-tile"


@dataclass
class Served:
    """One loaded dataset with everything derived from it; replaced whole on reload."""

    dataset: Dataset
    tiles: RegionTiles
    cache: TileCache
    analysis: HotspotResults  # permutation tests take a while: computed by the workers, a few kept
    version: str = field(init=False)
    thematic: Callable[[ThematicRequest], ThematicMap] = field(init=False)

    def __post_init__(self) -> None:
        self.version = hashlib.sha1(f"{self.dataset.path}:{self.dataset.mtime}".encode()).hexdigest()[:12]
        # Classification (Fisher-Jenks over national buurten) is worth keeping per request.
        self.thematic = lru_cache(maxsize=256)(lambda request: thematic_map(self.dataset, request))


class DatasetHolder:
    """Serves the current dataset; a changed file is loaded, a broken one leaves the old in place."""

    def __init__(self, settings: Settings, workers: AnalysisWorkers, dataset: Dataset | None = None) -> None:
        self.settings = settings
        self.workers = workers
        self._served = self._prepare(dataset or load_dataset(settings.dataset))
        self._checked = time.monotonic()
        self._lock = threading.Lock()
        self.last_reload_error: str | None = None

    def _prepare(self, dataset: Dataset) -> Served:
        return Served(
            dataset,
            RegionTiles(dataset, self.settings.tile_extent, self.settings.tile_buffer),
            TileCache(self.settings.tile_cache_mb * 1024 * 1024),
            HotspotResults(dataset, self.workers, self.settings.analysis_cache_entries, self.settings.analysis_max_draws),
        )

    def current(self) -> Served:
        now = time.monotonic()
        if self.settings.reload_check_seconds >= 0 and now - self._checked >= self.settings.reload_check_seconds:
            with self._lock:
                self._checked = now
                self._maybe_reload()
        return self._served

    def _maybe_reload(self) -> None:
        path = self._served.dataset.path
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return  # a build is replacing the file right now; keep serving
        if mtime == self._served.dataset.mtime:
            return
        try:
            self._served = self._prepare(load_dataset(path))
            self.last_reload_error = None
            log.info("reloaded dataset %s", path)
        except WijkmonitorError as exc:
            self.last_reload_error = str(exc)
            log.error("keeping the previous dataset: %s", exc)


def create_app(settings: Settings, dataset: Dataset | None = None) -> Starlette:
    workers = AnalysisWorkers(settings.analysis_workers, settings.analysis_queue, settings.analysis_kernel_cache)
    holder = DatasetHolder(settings, workers, dataset)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        workers.start()  # each worker loads its compiled kernels now, not on the first request
        try:
            yield
        finally:
            await run_in_threadpool(workers.shutdown)

    def base_url(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    async def health(request: Request) -> Response:
        served = holder.current()
        return JSONResponse({
            "status": "ok",
            "dataset": str(served.dataset.path),
            "title": served.dataset.title,
            "built_at": served.dataset.metadata.get("built_at"),
            "version": served.version,
            "last_reload_error": holder.last_reload_error,
            "tile_cache": {"tiles": len(served.cache), "bytes": served.cache.bytes, "hits": served.cache.hits, "misses": served.cache.misses},
            "analysis": workers.status(),
        })

    async def catalog(request: Request) -> Response:
        dataset = holder.current().dataset
        levels = {
            level.value: {
                "years": dataset.years(level),
                "indicators": {str(year): dataset.indicators_with_data(level, year) for year in dataset.years(level)},
                "published": {
                    str(year): dataset.indicators_with_data(level, year, published_only=True) for year in dataset.years(level)
                },
                "tilejson": f"{base_url(request)}/tiles/{level.value}.json",
            }
            for level in dataset.regions
        }
        return JSONResponse({
            "title": dataset.title,
            "attribution": dataset.attribution,
            "levels": levels,
            **dataset.catalog.as_json(),
            "statuses": {
                "secret": "CBS: onbekend, onvoldoende betrouwbaar of geheim",
                "withheld": "niet gepubliceerd: te weinig inwoners (onder de minimumnoemer van de catalogus)",
                "missing": "geen gegevens",
            },
        })

    def tile_analysis(served: Served, query: TileQuery, params: Any) -> AnalysisRequest | None:
        """?analysis=gi_star|local_moran on a tile request: the analysis of its one indicator and group."""
        if not params.get("analysis"):
            return None
        if len(query.indicators) != 1 or len(query.groups) != 1:
            raise RequestError("analysis", "an analysis needs exactly one indicator and one group in the tile request")
        merged = {**params, "level": query.level.value, "year": str(query.year), "group": query.groups[0]}
        return parse_analysis_request(served.dataset, merged, query.indicators[0])

    def tile_json(request: Request) -> Response:
        served = holder.current()
        query = parse_tile_query(served.dataset, request.path_params["level"], request.query_params)
        analysis = tile_analysis(served, query, request.query_params)
        if analysis is None:
            return JSONResponse(tilejson(served.dataset, query, base_url(request), settings.max_zoom))
        return JSONResponse(hotspot_tilejson(served.dataset, analysis, base_url(request), settings.max_zoom))

    async def analysed(served: Served, analysis: AnalysisRequest) -> HotspotResult:
        """The analysis from a worker: the event loop serves other requests while it is computed."""
        future = await run_in_threadpool(served.analysis.submit, analysis)
        # Shielded: a client that goes away must not cancel the computation others share.
        return await asyncio.shield(asyncio.wrap_future(future))

    def tile_lookup(request: Request) -> tuple[Served, TileQuery, AnalysisRequest | None, Any, CachedTile | None]:
        served = holder.current()
        p = request.path_params
        check_tile(p["z"], p["x"], p["y"], settings.max_zoom)
        query = parse_tile_query(served.dataset, p["level"], request.query_params)
        analysis = tile_analysis(served, query, request.query_params)
        key = (query, analysis, p["z"], p["x"], p["y"])
        return served, query, analysis, key, served.cache.get(key)

    def tile_made(
        request: Request, served: Served, query: TileQuery, key: Any, cached: CachedTile | None, result: HotspotResult | None
    ) -> Response:
        p = request.path_params
        if cached is None:
            extra = tile_attributes(result) if result else None
            body = served.tiles.tile(query, p["z"], p["x"], p["y"], extra)
            cached = CachedTile(body, hashlib.sha1(body).hexdigest()[:24])
            served.cache.put(key, cached)
        return _tile_response(request, served, key, cached, settings)

    async def tile(request: Request) -> Response:
        served, query, analysis, key, cached = await run_in_threadpool(tile_lookup, request)
        result = await analysed(served, analysis) if analysis and cached is None else None
        return await run_in_threadpool(tile_made, request, served, query, key, cached, result)

    def thematic_or_analysis(request: Request) -> tuple[Served, ThematicMap | AnalysisRequest]:
        """The map a style or legend request asks for: a hotspot analysis or a thematic map."""
        served = holder.current()
        indicator = request.path_params["indicator"]
        if request.query_params.get("analysis"):
            return served, parse_analysis_request(served.dataset, request.query_params, indicator)
        return served, served.thematic(parse_thematic_request(served.dataset, indicator, request.query_params))

    async def chosen_map(request: Request) -> tuple[Served, ThematicMap | HotspotResult]:
        served, chosen = await run_in_threadpool(thematic_or_analysis, request)
        if isinstance(chosen, AnalysisRequest):
            return served, await analysed(served, chosen)
        return served, chosen

    async def style(request: Request) -> Response:
        served, chosen = await chosen_map(request)
        make = hotspot_style if isinstance(chosen, HotspotResult) else style_json
        body = await run_in_threadpool(make, served.dataset, chosen, base_url(request), settings.max_zoom)
        return JSONResponse(body, headers={"Cache-Control": "no-cache"})

    async def legend_json(request: Request) -> Response:
        served, chosen = await chosen_map(request)
        make = hotspot_legend if isinstance(chosen, HotspotResult) else legend
        return JSONResponse(await run_in_threadpool(make, served.dataset, chosen), headers={"Cache-Control": "no-cache"})

    def hotspot_request(request: Request) -> tuple[Served, AnalysisRequest]:
        served = holder.current()
        return served, parse_analysis_request(served.dataset, request.query_params)

    async def hotspot_analysis(request: Request) -> Response:
        served, analysis = await run_in_threadpool(hotspot_request, request)
        result = await analysed(served, analysis)
        return await run_in_threadpool(hotspot_body, served, analysis, result)

    def hotspot_body(served: Served, analysis: AnalysisRequest, result: HotspotResult) -> Response:
        names = dict(zip(*(served.dataset.regions_of(analysis.level, analysis.year)[c] for c in ("code", "name"))))
        legend_body = hotspot_legend(served.dataset, result)
        return JSONResponse({
            **{k: legend_body[k] for k in ("indicator", "title", "unit", "level", "year", "group", "within", "analysis")},
            "summary": {c["class"]: c["count"] for c in legend_body["classes"]},
            "regions": [
                {"code": row["code"], "name": names.get(row["code"]), "value": row["value"], "statistic": round(row["statistic"], 6),
                 "z": round(row["z"], 6), "p": round(row["p"], 6), "class": row["class"]}
                for row in result.table.reset_index().to_dict("records")
            ],
            "not_analysed": {
                "no_value": [{"code": c, "name": names.get(c)} for c in result.no_value],
                "no_neighbours": [{"code": c, "name": names.get(c)} for c in result.no_neighbours],
            },
            "attribution": served.dataset.attribution,
        })

    def region(request: Request) -> Response:
        return JSONResponse(region_profile(holder.current().dataset, request.path_params["code"]))

    def regions(request: Request) -> Response:
        p = request.query_params
        found = search_regions(holder.current().dataset, p.get("level") or None, p.get("within") or None, p.get("q"))
        return JSONResponse({"regions": found, "count": len(found)})

    async def viewer(request: Request) -> Response:
        # One page; /embed gets the same page, which hides its chrome when loaded under /embed.
        return FileResponse(VIEWER_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    def viewer_config(request: Request) -> Response:
        dataset = holder.current().dataset
        finest = list(dataset.regions)[-1]
        bounds = [round(v, 5) for v in dataset.bounds_lonlat(finest, dataset.years(finest)[-1])]
        return JSONResponse({
            "basemap_url": settings.basemap_url or None,
            "basemap_attribution": settings.basemap_attribution,
            "bounds": bounds,
        })

    fonts = FontLibrary(settings.frontend_modules / "@fontsource" / "dejavu-sans" / "files")

    def glyphs(request: Request) -> Response:
        p = request.path_params
        body = fonts.glyph_range(p["fontstack"], parse_range(p["range"]))
        headers = {"Cache-Control": "public, max-age=86400", "Vary": "Accept-Encoding"}
        if _accepts_gzip(request):
            body = _gzip(body)
            headers["Content-Encoding"] = "gzip"
        return Response(body, media_type="application/x-protobuf", headers=headers)

    if not (settings.frontend_modules / "leaflet").is_dir():
        log.warning("%s has no leaflet: run `make install` (npm ci) for the viewer", settings.frontend_modules)

    routes = [
        Route("/", viewer),
        Route("/embed", viewer),
        Route("/viewer/config.json", viewer_config),
        Mount("/viewer", StaticFiles(directory=VIEWER_DIR), name="viewer"),
        Mount("/vendor/leaflet", StaticFiles(directory=settings.frontend_modules / "leaflet" / "dist", check_dir=False)),
        Mount(
            "/vendor/leaflet.vectorgrid",
            StaticFiles(directory=settings.frontend_modules / "leaflet.vectorgrid" / "dist", check_dir=False),
        ),
        Route("/health", health),
        Route("/catalog", catalog),
        Route("/tiles/{level}.json", tile_json),
        Route("/tiles/{level}/{z:int}/{x:int}/{y:int}.mvt", tile),
        Route("/tiles/{level}/{z:int}/{x:int}/{y:int}.pbf", tile),
        Route("/styles/{indicator}.json", style),
        Route("/analysis/hotspots", hotspot_analysis),
        Route("/regions", regions),
        Route("/regions/{code}", region),
        Route("/legend/{indicator}.json", legend_json),
        Route("/fonts/{fontstack}/{range}.pbf", glyphs),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "HEAD"], expose_headers=["ETag"])],
        exception_handlers={Exception: _error_response, HTTPException: _error_response, RequestError: _error_response},
    )
    app.state.holder = holder
    app.state.analysis_workers = workers
    return app


def _tile_response(request: Request, served: Served, key: Any, cached: CachedTile, settings: Settings) -> Response:
    wants_gzip = _accepts_gzip(request)
    headers = {
        "Cache-Control": f"public, max-age={settings.cache_max_age}",
        "Vary": "Accept-Encoding",
    }
    if not cached.body:
        return Response(status_code=204, headers=headers)
    # Strong ETags name one representation: the gzip body gets its own.
    etag = f'"{cached.etag}-gz"' if wants_gzip else f'"{cached.etag}"'
    headers["ETag"] = etag
    if etag in _if_none_match(request):
        return Response(status_code=304, headers=headers)
    body = cached.body
    if wants_gzip:
        if cached.gzip_body is None:
            cached = CachedTile(cached.body, cached.etag, _gzip(cached.body))
            served.cache.put(key, cached)
        body = cached.gzip_body
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=MVT_TYPE, headers=headers)


def _accepts_gzip(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "").lower()


def _gzip(body: bytes) -> bytes:
    return gzip.compress(body, 6, mtime=0)  # no timestamp: the same tile gives the same bytes


def _if_none_match(request: Request) -> set[str]:
    raw = request.headers.get("if-none-match", "")
    return {part.strip() for part in raw.split(",") if part.strip()}


async def _error_response(request: Request, exc: Exception) -> Response:
    if isinstance(exc, RequestError):
        return JSONResponse(
            {"error": type(exc).__name__, "parameter": exc.parameter, "detail": exc.message},
            status_code=exc.status_code,
            headers={"Retry-After": str(exc.retry_after)} if isinstance(exc, AnalysisBusy) else None,
        )
    if isinstance(exc, HTTPException):
        return JSONResponse({"error": "HTTPError", "detail": exc.detail}, status_code=exc.status_code)
    log.exception("unexpected error on %s", request.url.path)
    return JSONResponse({"error": "InternalError", "detail": "unexpected server error; see the server log"}, status_code=500)
