"""Starlette routes: parse the request, call the domain, shape the response.

Errors are mapped to HTTP in one place (`_error_response`): our RequestError types to
their 4xx status with a JSON body; anything unexpected to a 500 JSON body without a trace.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from analysis.hotspots import HotspotResult, hotspots, tile_attributes
from analysis.request import AnalysisRequest, parse_analysis_request
from geodata.errors import RequestError
from geodata.params import page_params
from geodata.selection import Selection, parse_figure, parse_selection
from profiles.region import region_profile
from profiles.search import search_regions
from settings import ROOT, Settings
from store import Store, open_store
from styles.glyphs import FontLibrary, parse_range
from styles.hotspot_style import hotspot_legend, hotspot_style, hotspot_tilejson
from styles.legend import legend
from styles.request import ThematicRequest, parse_thematic_request
from styles.style_json import style_json
from styles.thematic import ThematicMap, thematic_map
from tiles.cache import CachedTile, TileCache
from tiles.region_tiles import RegionTiles
from tiles.tilejson import tilejson
from tiles.tilemath import parse_tile

log = logging.getLogger("wijkmonitor")
SEARCH_LIMIT, MAX_SEARCH_LIMIT = 50, 1000
VIEWER_DIR = ROOT / "viewer"
MVT_TYPE = "application/vnd.mapbox-vector-tile"


@dataclass
class Served:
    """One loaded dataset with everything derived from it; replaced whole on reload."""

    store: Store
    tiles: RegionTiles
    cache: TileCache
    thematic: Callable[[ThematicRequest], ThematicMap] = field(init=False)
    analysis: Callable[[AnalysisRequest], HotspotResult] = field(init=False)

    def __post_init__(self) -> None:
        # Classification (Fisher-Jenks over national buurten) is worth keeping per request.
        self.thematic = lru_cache(maxsize=256)(lambda request: thematic_map(self.store, request))
        # Permutation tests take a while: one result per input, for the API, tiles and styles alike.
        self.analysis = lru_cache(maxsize=64)(lambda request: hotspots(self.store, request))


class DatasetHolder:
    """Serves the current dataset; a changed file is loaded, a broken one leaves the old in place."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self._served = self._prepare(store or open_store(settings.dataset))
        self._checked = time.monotonic()
        self._failed_version: str | None = None
        self._lock = threading.Lock()
        self.last_reload_error: str | None = None

    def _prepare(self, store: Store) -> Served:
        return Served(
            store,
            RegionTiles(store, self.settings.tile_extent, self.settings.tile_buffer),
            TileCache(self.settings.tile_cache_mb * 1024 * 1024),
        )

    def current(self) -> Served:
        now = time.monotonic()
        due = self.settings.reload_check_seconds >= 0 and now - self._checked >= self.settings.reload_check_seconds
        # One request checks; the others go on with the data they have instead of queueing behind a reload.
        if due and self._lock.acquire(blocking=False):
            try:
                self._checked = now
                self._maybe_reload()
            finally:
                self._lock.release()
        return self._served

    def _maybe_reload(self) -> None:
        store = self._served.store
        version = store.version_now()
        if version is None or version in (store.version, self._failed_version):
            return  # unchanged, being replaced right now, or known to be broken
        self._failed_version = version  # until it loads: a broken file is tried once, not on every check
        try:
            self._served = self._prepare(open_store(store.location))
            self._failed_version = None
            self.last_reload_error = None
            log.info("reloaded dataset %s", store.location)
        except Exception as exc:  # noqa: BLE001 - whatever is wrong with the new file, the old data keeps serving
            self.last_reload_error = f"{type(exc).__name__}: {exc}"
            log.error("keeping the previous dataset: %s", self.last_reload_error)


def create_app(settings: Settings, store: Store | None = None) -> Starlette:
    holder = DatasetHolder(settings, store)

    def base_url(request: Request) -> str:
        """Where links point: the configured public URL (behind a proxy), else the address the client used."""
        return settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")

    async def health(request: Request) -> Response:
        served = holder.current()
        return JSONResponse({
            "status": "ok",
            "dataset": served.store.location,
            "title": served.store.title,
            "built_at": served.store.metadata.get("built_at"),
            "version": served.store.version,
            "last_reload_error": holder.last_reload_error,
            "tile_cache": {"tiles": len(served.cache), "bytes": served.cache.bytes, "hits": served.cache.hits, "misses": served.cache.misses},
        })

    async def catalog(request: Request) -> Response:
        store = holder.current().store
        available = store.availability
        levels = {
            level.value: {
                "years": list(years),
                "indicators": {str(year): available.indicators_with_data(level, year) for year in years},
                "published": {str(year): available.indicators_with_data(level, year, published_only=True) for year in years},
                "tilejson": f"{base_url(request)}/tiles/{level.value}.json",
            }
            for level, years in available.years.items()
        }
        return JSONResponse({
            "title": store.title,
            "attribution": store.attribution,
            "levels": levels,
            **store.catalog.as_json(),
            "statuses": {
                "secret": "CBS: onbekend, onvoldoende betrouwbaar of geheim",
                "withheld": "niet gepubliceerd: te weinig inwoners (onder de minimumnoemer van de catalogus)",
                "missing": "geen gegevens",
            },
        })

    def tile_analysis(served: Served, query: Selection, params: Any) -> AnalysisRequest | None:
        """?analysis=gi_star|local_moran on a tile request: the analysis of its one indicator and group."""
        if not params.get("analysis"):
            return None
        if len(query.indicators) != 1 or len(query.groups) != 1:
            raise RequestError("analysis", "an analysis needs exactly one indicator and one group in the tile request")
        merged = {**params, "level": query.level.value, "year": str(query.year), "group": query.groups[0]}
        return parse_analysis_request(served.store, merged, query.indicators[0])

    def tile_json(request: Request) -> Response:
        served = holder.current()
        query = parse_selection(served.store.availability, served.store.catalog, request.path_params["level"], request.query_params)
        analysis = tile_analysis(served, query, request.query_params)
        if analysis is None:
            return JSONResponse(tilejson(served.store, query, base_url(request), settings.max_zoom))
        return JSONResponse(hotspot_tilejson(served.store, analysis, base_url(request), settings.max_zoom))

    def tile(request: Request) -> Response:
        served = holder.current()
        p = request.path_params
        z, x, y = parse_tile(p["z"], p["x"], p["y"], settings.max_zoom)
        query = parse_selection(served.store.availability, served.store.catalog, p["level"], request.query_params)
        analysis = tile_analysis(served, query, request.query_params)
        # One compact string per entry: the cache counts what it holds, and equal requests share a key.
        key = f"{query.level.value}/{z}/{x}/{y}?{query.query_string()}{analysis.query_string() if analysis else ''}"
        cached = served.cache.get(key)
        if cached is None:
            extra = tile_attributes(served.analysis(analysis)) if analysis else None
            body = served.tiles.tile(query, z, x, y, extra)
            cached = CachedTile(body, hashlib.sha1(body).hexdigest()[:24])
            served.cache.put(key, cached)
        return _tile_response(request, served, key, cached, settings)

    def thematic_or_analysis(request: Request) -> tuple[Served, ThematicMap | HotspotResult]:
        """The map a style or legend request asks for: a hotspot analysis or a thematic map."""
        served = holder.current()
        indicator = request.path_params["indicator"]
        if request.query_params.get("analysis"):
            return served, served.analysis(parse_analysis_request(served.store, request.query_params, indicator))
        selection = parse_figure(served.store.availability, served.store.catalog, indicator, request.query_params)
        return served, served.thematic(parse_thematic_request(served.store.catalog, selection, request.query_params))

    def style(request: Request) -> Response:
        served, chosen = thematic_or_analysis(request)
        make = hotspot_style if isinstance(chosen, HotspotResult) else style_json
        return JSONResponse(make(served.store, chosen, base_url(request), settings.max_zoom), headers={"Cache-Control": "no-cache"})

    def legend_json(request: Request) -> Response:
        served, chosen = thematic_or_analysis(request)
        make = hotspot_legend if isinstance(chosen, HotspotResult) else legend
        return JSONResponse(make(served.store, chosen), headers={"Cache-Control": "no-cache"})

    def hotspot_analysis(request: Request) -> Response:
        served = holder.current()
        analysis = parse_analysis_request(served.store, request.query_params)
        result = served.analysis(analysis)
        names = dict(zip(*(served.store.regions(analysis.level, analysis.year)[c] for c in ("code", "name"))))
        legend_body = hotspot_legend(served.store, result)
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
            "attribution": served.store.attribution,
        })

    def region(request: Request) -> Response:
        return JSONResponse(region_profile(holder.current().store, request.path_params["code"]))

    def regions(request: Request) -> Response:
        p = request.query_params
        limit, offset = page_params(p, default_limit=SEARCH_LIMIT, max_limit=MAX_SEARCH_LIMIT)
        found = search_regions(holder.current().store, p.get("level") or None, p.get("within") or None, p.get("q"))
        page = found[offset:offset + limit]
        body: dict[str, Any] = {"regions": page, "count": len(page), "total": len(found), "limit": limit, "offset": offset}
        if offset + limit < len(found):
            body["next"] = f"{base_url(request)}/regions?{urlencode({**p, 'limit': limit, 'offset': offset + limit})}"
        return JSONResponse(body)

    async def viewer(request: Request) -> Response:
        # One page; /embed gets the same page, which hides its chrome when loaded under /embed.
        return FileResponse(
            VIEWER_DIR / "index.html",
            headers={"Cache-Control": "no-cache", "Content-Security-Policy": viewer_csp(settings.basemap_url)},
        )

    def viewer_config(request: Request) -> Response:
        store = holder.current().store
        finest = store.availability.levels[-1]
        bounds = [round(v, 5) for v in store.bounds_lonlat(finest, store.availability.years[finest][-1])]
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
        Route("/tiles/{level}/{z}/{x}/{y}.mvt", tile),
        Route("/tiles/{level}/{z}/{x}/{y}.pbf", tile),
        Route("/styles/{indicator}.json", style),
        Route("/analysis/hotspots", hotspot_analysis),
        Route("/regions", regions),
        Route("/regions/{code}", region),
        Route("/legend/{indicator}.json", legend_json),
        Route("/fonts/{fontstack}/{range}.pbf", glyphs),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "HEAD"], expose_headers=["ETag"]),
        ],
        exception_handlers={Exception: _error_response, HTTPException: _error_response, RequestError: _error_response},
    )
    app.state.holder = holder
    return app


def viewer_csp(basemap_url: str) -> str:
    """The viewer loads only our own scripts and data; images also from the configured background map.
    Inline styles stay allowed (Leaflet positions tiles with them); any site may embed the map."""
    images = "'self' data: blob:"
    if basemap_url:
        parts = urlsplit(basemap_url)
        images += f" {parts.scheme}://{parts.netloc.replace('{s}', '*')}"  # Leaflet's {s} subdomains
    return (
        f"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src {images}; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors *"
    )


class SecurityHeaders:
    """Adds X-Content-Type-Options: nosniff to every response (ASGI middleware, no body buffering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).setdefault("X-Content-Type-Options", "nosniff")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _tile_response(request: Request, served: Served, key: str, cached: CachedTile, settings: Settings) -> Response:
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
    """Whether Accept-Encoding allows gzip: named, or `*`, with a q-value above 0 (RFC 9110 12.5.3)."""
    weights: dict[str, float] = {}
    for part in request.headers.get("accept-encoding", "").lower().split(","):
        coding, _, params = part.strip().partition(";")
        if not coding:
            continue
        q = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                q = float(value)
            except ValueError:
                q = 0.0  # an unreadable weight is no permission
        weights[coding.strip()] = q
    return weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0))) > 0


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
        )
    if isinstance(exc, HTTPException):
        return JSONResponse({"error": "HTTPError", "detail": exc.detail}, status_code=exc.status_code)
    log.exception("unexpected error on %s", request.url.path)
    return JSONResponse({"error": "InternalError", "detail": "unexpected server error; see the server log"}, status_code=500)
