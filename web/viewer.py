"""The Dutch pages: the Leaflet viewer (/ and /embed), a region's profile (/profiel/{code}) and printable
report (/rapport/{code}), the free comparison (/vergelijk); their config, and the libraries npm installed."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from settings import ROOT, Settings
from web.holder import DatasetHolder
from web.http import viewer_csp

log = logging.getLogger("wijkmonitor")
VIEWER_DIR = ROOT / "viewer"


def routes(holder: DatasetHolder, settings: Settings) -> list[BaseRoute]:
    def page(name: str) -> Callable[[Request], Awaitable[Response]]:
        async def serve(request: Request) -> Response:
            # Each page reads its state (region, group, ...) from the URL. /embed gets the viewer's page,
            # which hides its chrome when loaded under /embed.
            return FileResponse(
                VIEWER_DIR / name,
                headers={"Cache-Control": "no-cache", "Content-Security-Policy": viewer_csp(settings.basemap_url)},
            )
        return serve

    def viewer_config(request: Request) -> Response:
        store = holder.current().store
        finest = store.availability.levels[-1]
        bounds = [round(v, 5) for v in store.bounds_lonlat(finest, store.availability.years[finest][-1])]
        return JSONResponse({
            "basemap_url": settings.basemap_url or None,
            "basemap_attribution": settings.basemap_attribution,
            "bounds": bounds,
        })

    if not (settings.frontend_modules / "leaflet").is_dir():
        log.warning("%s has no leaflet: run `make install` (npm ci) for the viewer", settings.frontend_modules)
    return [
        Route("/", page("index.html")),
        Route("/embed", page("index.html")),
        Route("/profiel/{code}", page("profiel.html")),
        Route("/vergelijk", page("vergelijk.html")),
        Route("/rapport/{code}", page("rapport.html")),
        Route("/viewer/config.json", viewer_config),
        Mount("/viewer", StaticFiles(directory=VIEWER_DIR), name="viewer"),
        Mount("/vendor/leaflet", StaticFiles(directory=settings.frontend_modules / "leaflet" / "dist", check_dir=False)),
        Mount(
            "/vendor/leaflet.vectorgrid",
            StaticFiles(directory=settings.frontend_modules / "leaflet.vectorgrid" / "dist", check_dir=False),
        ),
        # Charts: Observable Plot draws SVG (crisp in print, readable by screen readers beside its table).
        Mount("/vendor/d3", StaticFiles(directory=settings.frontend_modules / "d3" / "dist", check_dir=False)),
        Mount("/vendor/plot", StaticFiles(directory=settings.frontend_modules / "@observablehq" / "plot" / "dist", check_dir=False)),
    ]
