"""Map styles, legends and the glyphs their labels need: /styles, /legend and /fonts."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from analysis.hotspots import HotspotResult
from analysis.request import parse_analysis_request
from geodata.selection import parse_figure
from settings import Settings
from styles.glyphs import FontLibrary, parse_range
from styles.hotspot_style import hotspot_legend, hotspot_style
from styles.legend import legend
from styles.request import parse_thematic_request
from styles.style_json import style_json
from styles.thematic import ThematicMap
from tiles.encode import gzip_bytes
from web.analysis import analysed
from web.holder import DatasetHolder, Served
from web.http import accepts_gzip, public_base_url


def routes(holder: DatasetHolder, settings: Settings) -> list[BaseRoute]:
    async def chosen_map(request: Request) -> tuple[Served, ThematicMap | HotspotResult]:
        """The map a style or legend request asks for: a hotspot analysis or a thematic map."""
        served = holder.current()
        store, params = served.store, request.query_params
        indicator = request.path_params["indicator"]
        if params.get("analysis"):
            return served, await analysed(served, parse_analysis_request(store, params, indicator))
        request_map = parse_thematic_request(store.catalog, parse_figure(store.availability, store.catalog, indicator, params), params)
        return served, await run_in_threadpool(served.thematic, request_map)

    async def style(request: Request) -> Response:
        served, chosen = await chosen_map(request)
        make = hotspot_style if isinstance(chosen, HotspotResult) else style_json
        body = await run_in_threadpool(make, served.store, chosen, public_base_url(request, settings.public_url), settings.max_zoom)
        return JSONResponse(body, headers={"Cache-Control": "no-cache"})

    async def legend_json(request: Request) -> Response:
        served, chosen = await chosen_map(request)
        make = hotspot_legend if isinstance(chosen, HotspotResult) else legend
        return JSONResponse(await run_in_threadpool(make, served.store, chosen), headers={"Cache-Control": "no-cache"})

    fonts = FontLibrary(settings.frontend_modules / "@fontsource" / "dejavu-sans" / "files")

    def glyphs(request: Request) -> Response:
        p = request.path_params
        body = fonts.glyph_range(p["fontstack"], parse_range(p["range"]))
        headers = {"Cache-Control": "public, max-age=86400", "Vary": "Accept-Encoding"}
        if accepts_gzip(request.headers.get("accept-encoding", "")):
            body = gzip_bytes(body)
            headers["Content-Encoding"] = "gzip"
        return Response(body, media_type="application/x-protobuf", headers=headers)

    return [
        Route("/styles/{indicator}.json", style),
        Route("/legend/{indicator}.json", legend_json),
        Route("/fonts/{fontstack}/{range}.pbf", glyphs),
    ]
